-- analytics context: exchange rates per tenant, so money can be reported in
-- one currency. `rate` is how many units of `currency` one unit of `base`
-- buys on `date` (openexchangerates style: base USD, COP 4100.5). Money is
-- converted at the rate of its own date; the reader falls back to the last
-- rate up to 7 days earlier and refuses beyond that.
CREATE TABLE fx_rates (
    tenant_id  TEXT NOT NULL,
    base       TEXT NOT NULL,
    currency   TEXT NOT NULL,
    date       TEXT NOT NULL,
    rate       DOUBLE PRECISION NOT NULL CHECK (rate > 0),
    source     TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, base, currency, date)
);
CREATE INDEX fx_rates_currency ON fx_rates (tenant_id, currency, date);
