-- 0013: what the gateway reports about each card order's 3-D Secure authentication
-- (issue 19, notes §4.6, §4.7, §7.3: `3dsecure_ryaku`, `attempt_kbn`, statuses 13/14), so
-- the order screen says whether and how the buyer was authenticated. NULL: not reported
-- yet (an order made before this migration, or a Paidy order).
ALTER TABLE orders ADD COLUMN three_d_secure_outcome TEXT
    CHECK (three_d_secure_outcome IN ('not_used', 'authenticated', 'attempted', 'interrupted'));
