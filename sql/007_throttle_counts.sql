-- Throttling budgets held by all the nodes on one database (README: Throttling, "Several nodes").
-- Each node's throttle sync writes, a few times a second, how many requests of each key it admitted
-- in each Unix second of the window and its shares of what is left, and reads the other nodes' sums. Unlogged:
-- these are seconds-old counters that no one must wait for a WAL flush to write; a crash or a
-- failover empties them (standbys do not get unlogged rows), and each node then writes its whole
-- window again at its next sync.
CREATE UNLOGGED TABLE throttle_count (
    node text COLLATE "C" NOT NULL,          -- host:pid of the node's master
    scope text COLLATE "C" NOT NULL CHECK (scope IN ('tenant', 'application')),
    key text COLLATE "C" NOT NULL,           -- the tenant, or tenant/application
    unix_second bigint NOT NULL,
    requests integer NOT NULL,
    writes integer NOT NULL,
    PRIMARY KEY (node, scope, key, unix_second)
);
-- The other nodes' sums for a window read one range of seconds.
CREATE INDEX throttle_count_by_second ON throttle_count (unix_second);

-- A node is counted among those sharing the budgets while its last sync is recent. shares: what the
-- node may still admit of each key before its next sync ([{scope, key, r, w}]), published before it
-- may use them, so the other nodes leave that much aside.
CREATE UNLOGGED TABLE throttle_node (
    node text COLLATE "C" PRIMARY KEY,
    seen timestamptz NOT NULL,
    shares jsonb NOT NULL DEFAULT '[]'
);

GRANT SELECT, INSERT, UPDATE, DELETE ON throttle_count, throttle_node TO certgraph_service;
