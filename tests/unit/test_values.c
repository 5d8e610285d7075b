#include <criterion/criterion.h>
#include <string.h>

#include "arena.h"
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

Test(values, utf8_well_formedness)
{
    cr_assert(value_utf8_valid("plain", 5));
    cr_assert(value_utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9));
    cr_assert_not(value_utf8_valid("\xc3", 1));            /* cut short */
    cr_assert_not(value_utf8_valid("\xc1\xbf", 2));        /* overlong */
    cr_assert_not(value_utf8_valid("\xed\xa0\x80", 3));    /* surrogate */
    cr_assert_not(value_utf8_valid("\xf4\x90\x80\x80", 4));
    cr_assert_not(value_utf8_valid("\xff", 1));
}

Test(values, sanitize_replaces_only_the_bad_bytes)
{
    arena *a = arena_new(256);
    cr_assert_str_eq(value_utf8_sanitize(a, "segment \xff\xc3 end"), "segment ?? end");
    cr_assert_str_eq(value_utf8_sanitize(a, "caf\xc3\xa9 \xe2\x82"), "caf\xc3\xa9 ??");
    const char *fine = "fine \xe2\x9c\x93";
    cr_assert_eq(value_utf8_sanitize(a, fine), fine, "well-formed text is returned as it is");
    arena_free(a);
}

Test(values, uuid_format_sets_version_and_variant)
{
    unsigned char b[16];
    memset(b, 0xff, sizeof b);
    char out[37];
    value_uuid_format(b, 4, out);
    cr_assert_str_eq(out, "ffffffff-ffff-4fff-bfff-ffffffffffff");
    memset(b, 0, sizeof b);
    value_uuid_format(b, 8, out);
    cr_assert_str_eq(out, "00000000-0000-8000-8000-000000000000");
}
