-- Recipe: segmenting customer profiles on eight features, one of them a product category.
-- Run: segql -f sql/13_recipe_eight_features.sql      (demo_customers is built in)
--
-- The recipe one-hot encodes product_category, scales the numeric features, fits k = 5, plots
-- income against average order value coloured by segment, and reads the mean of every feature
-- per segment. demo_customers plants five personas; the last step checks the segments find them.

-- ## The features before the fit: skewness (the recipe fits the values as they are)
SELECT feature, round(skew, 3) AS skew, auto_transform
FROM feature_skewness(demo_customers(5000))
ORDER BY feature;

-- ## k = 5 on the seven numeric features and the one-hot encoded category
WITH encoded AS (
  SELECT *, CAST(product_category = 'electronics' AS DOUBLE) AS cat_electronics,
            CAST(product_category = 'fashion' AS DOUBLE) AS cat_fashion,
            CAST(product_category = 'home_goods' AS DOUBLE) AS cat_home_goods,
            CAST(product_category = 'beauty' AS DOUBLE) AS cat_beauty
  FROM demo_customers(5000)
)
SELECT segment, size, round(share, 3) AS share, round(avg_annual_income) AS income,
       round(avg_spending_score, 1) AS spending, round(avg_number_of_purchases, 1) AS purchases,
       round(avg_age, 1) AS age, round(avg_years_with_company, 1) AS years,
       round(avg_average_order_value, 2) AS order_value, round(avg_activity_per_week, 2) AS activity,
       round(avg_cat_electronics, 2) AS electronics, round(avg_cat_fashion, 2) AS fashion,
       round(avg_cat_home_goods, 2) AS home_goods, round(avg_cat_beauty, 2) AS beauty
FROM kmeans_fit(encoded, 5, transform => 'none', seed => 1, model => 'customers5',
  features => 'annual_income, spending_score, number_of_purchases, age, years_with_company, average_order_value, activity_per_week, cat_electronics, cat_fashion, cat_home_goods, cat_beauty')
ORDER BY segment;

-- ## The scatter's data: income against average order value, by segment (first 10 of 5000)
WITH encoded AS (
  SELECT *, CAST(product_category = 'electronics' AS DOUBLE) AS cat_electronics,
            CAST(product_category = 'fashion' AS DOUBLE) AS cat_fashion,
            CAST(product_category = 'home_goods' AS DOUBLE) AS cat_home_goods,
            CAST(product_category = 'beauty' AS DOUBLE) AS cat_beauty
  FROM demo_customers(5000)
)
SELECT customer_id, annual_income, average_order_value, segment
FROM assign_segment('customers5', encoded)
ORDER BY customer_id
LIMIT 10;

-- ## Each segment against the planted personas: its main persona and that persona's share
WITH encoded AS (
  SELECT *, CAST(product_category = 'electronics' AS DOUBLE) AS cat_electronics,
            CAST(product_category = 'fashion' AS DOUBLE) AS cat_fashion,
            CAST(product_category = 'home_goods' AS DOUBLE) AS cat_home_goods,
            CAST(product_category = 'beauty' AS DOUBLE) AS cat_beauty
  FROM demo_customers(5000)
), counts AS (
  SELECT segment, persona, count(*) AS n, sum(count(*)) OVER (PARTITION BY segment) AS size
  FROM assign_segment('customers5', encoded) GROUP BY segment, persona
)
SELECT segment, persona AS main_persona, round(CAST(n AS DOUBLE) / size, 3) AS purity
FROM (SELECT *, row_number() OVER (PARTITION BY segment ORDER BY n DESC) AS rank FROM counts)
WHERE rank = 1
ORDER BY segment;
