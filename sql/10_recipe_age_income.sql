-- Recipe: the smallest classic K-Means segmentation, age and income of five customers.
-- Run: segql -f sql/10_recipe_age_income.sql      (no demo data needed)
--
-- The recipe fits k = 2 on the raw values (no transform, no scaling), reads the centres as the
-- segment profile and prints each customer's segment. Its centres are [24, 47500] and
-- [44, 64666.67]; segql numbers segments by size, so the three-customer segment is 0 and the
-- recipe's labels [0, 1, 1, 0, 1] read [1, 0, 0, 1, 0] here.

-- ## The centres: the segment profile
SELECT segment, size, round(age, 2) AS age, round(income, 2) AS income, label
FROM kmeans_fit(
  (SELECT * FROM (VALUES (1, 25.0, 50000.0), (2, 45.0, 64000.0), (3, 35.0, 58000.0),
                         (4, 23.0, 45000.0), (5, 52.0, 72000.0)) AS c(customer_id, age, income)),
  2, transform => 'none', scale => 'none', model => 'age_income')
ORDER BY segment;

-- ## Each customer's segment
SELECT customer_id, segment
FROM assign_segment('age_income',
  (SELECT * FROM (VALUES (1, 25.0, 50000.0), (2, 45.0, 64000.0), (3, 35.0, 58000.0),
                         (4, 23.0, 45000.0), (5, 52.0, 72000.0)) AS c(customer_id, age, income)))
ORDER BY customer_id;
