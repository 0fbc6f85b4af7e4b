-- Train once, score many: save a model, list it, and score customers with it.

-- ## Train and save
SELECT segment, label, size, round(monetary, 2) AS centroid_monetary
FROM kmeans_fit(rfm(sales), 5, transform => 'log', seed => 7, model => 'rfm_log5')
ORDER BY segment;

-- ## The model store
SELECT name, k, features, transforms, rows, round(inertia, 2) AS inertia FROM segql_models();

-- ## The 10 most valuable customers and their segments
SELECT "CustomerID", recency_days, frequency, round(monetary, 2) AS monetary, segment, label, round(distance, 3) AS distance
FROM assign_segment('rfm_log5', rfm(sales))
ORDER BY monetary DESC
LIMIT 10;
