-- Step 4 of the walkthrough: score customers with a saved model.
-- Run: segql --demo -f sql/04_score_customers.sql
-- (trains the model first so that the script runs on its own; step 5 shows reuse across sessions)

-- ## Train and save
SELECT segment, label, size, round(monetary, 2) AS centroid_monetary
FROM kmeans_fit(rfm(sales), 4, seed => 42, model => 'customer_segments')
ORDER BY segment;

-- ## The 10 most valuable customers, their segment and how typical they are of it
SELECT "CustomerID", recency_days, frequency, round(monetary, 2) AS monetary,
       segment, label, round(distance, 3) AS distance
FROM assign_segment('customer_segments', rfm(sales))
ORDER BY monetary DESC, "CustomerID"
LIMIT 10;

-- ## A campaign list: customers in the segment with the highest average spend who have not bought for 60 days
WITH scored AS (SELECT * FROM assign_segment('customer_segments', rfm(sales))),
     best AS (SELECT segment FROM scored GROUP BY segment ORDER BY avg(monetary) DESC LIMIT 1)
SELECT "CustomerID", recency_days, frequency, round(monetary, 2) AS monetary, label
FROM scored
WHERE segment = (SELECT segment FROM best) AND recency_days > 60
ORDER BY monetary DESC, "CustomerID"
LIMIT 10;

-- ## Scoring inside any query with the scalar form
SELECT assign_segment('customer_segments', recency_days, frequency, monetary) AS segment,
       count(*) AS customers
FROM rfm(sales)
GROUP BY 1
ORDER BY 1;
