-- PayDesk store, version 8 (issue 15, point 10): the order lists' payment-method filter and
-- their sorts by amount and by deadline walk an index, and the bulk-capture (unprocessed)
-- list pages by deadline, most urgent first, so no page sorts a whole list of 100,000
-- orders. (Every index ends with the row id, which breaks ties.)

-- Amount, high or low first: in one list, and across all three (orders_amount).
CREATE INDEX orders_list_amount ON orders (list, amount);
-- Deadline order: the three parts (ahead, passed, none) are ranges of these.
CREATE INDEX orders_list_deadline ON orders (list, deadline_at);
CREATE INDEX orders_deadline_at ON orders (deadline_at);
-- The date pages (newest or oldest first) carry the deadline too, so the deadline order's
-- count over a range of order dates needs no row (same names: the search's index hints
-- keep working).
DROP INDEX orders_list_page;
CREATE INDEX orders_list_page ON orders (list, ordered_at DESC, id DESC, deadline_at);
DROP INDEX orders_ordered;
CREATE INDEX orders_ordered ON orders (ordered_at DESC, id DESC, deadline_at);
-- One payment method, newest or oldest first, and its count (with the deadline, so the
-- deadline order's count needs no row either).
CREATE INDEX orders_list_method_page ON orders (list, method, ordered_at DESC, id DESC, deadline_at);
CREATE INDEX orders_method_page ON orders (method, ordered_at DESC, id DESC, deadline_at);

-- The unprocessed list by deadline; the window's start beside it, so counting needs no
-- row. Replaces the newest-payment-first index the list no longer uses.
CREATE INDEX orders_unprocessed_deadline ON orders (deadline_at, coalesce(authorized_at, ordered_at))
    WHERE status = '20' AND outside_change = 0;
DROP INDEX orders_unprocessed;
