DROP TABLE webhook_deliveries;

--bun:split

DROP TABLE events;

--bun:split

DROP TABLE webhooks;
