#include <criterion/criterion.h>
#include <string.h>

#include "values.h"

Test(values, uuid_shape)
{
    cr_assert(value_uuid_valid("b20d3703-3703-b20d-0337-0db203370db2", 36));
    cr_assert(value_uuid_valid("B20D3703-3703-B20D-0337-0DB203370DB2", 36));
    cr_assert_not(value_uuid_valid("b20d3703-3703-b20d-0337-0db203370db", 35));
    cr_assert_not(value_uuid_valid("b20d3703x3703-b20d-0337-0db203370db2", 36));
    cr_assert_not(value_uuid_valid("g20d3703-3703-b20d-0337-0db203370db2", 36));
}

Test(values, postgres_timestamps_become_odata_utc)
{
    char out[64];
    value_timestamp_to_odata("2017-01-01 07:57:57.248123+00", out, sizeof out);
    cr_assert_str_eq(out, "2017-01-01T07:57:57.248123Z");
    value_timestamp_to_odata("0001-01-01 00:00:00+00", out, sizeof out);
    cr_assert_str_eq(out, "0001-01-01T00:00:00Z");
}

Test(values, int32_literals)
{
    cr_assert(value_int32_valid("0", 1));
    cr_assert(value_int32_valid("-1", 2));
    cr_assert_not(value_int32_valid("-", 1));
    cr_assert_not(value_int32_valid("01", 2));
    cr_assert_not(value_int32_valid("", 0));
}
