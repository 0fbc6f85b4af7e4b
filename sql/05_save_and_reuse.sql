-- Step 5 of the walkthrough: save a model, find it again, reuse it, retire it.
-- Run: segql --demo -f sql/05_save_and_reuse.sql
-- Models live in the model store directory (--models DIR, default ./segql_models), one JSON
-- file each, so a later session (or `segql serve`) scores with the same segments:
--   segql --demo -c "SELECT segment, count(*) FROM assign_segment('rfm_log5', rfm(sales)) GROUP BY 1"

-- ## Save two candidate models: log-transformed k = 5, and Box-Cox k = 3
SELECT 'rfm_log5' AS model, count(*) AS segments, round(sum(sse), 2) AS inertia
FROM kmeans_fit(rfm(sales), 5, transform => 'log', seed => 7, model => 'rfm_log5')
UNION ALL
SELECT 'rfm_k3', count(*), round(sum(sse), 2)
FROM kmeans_fit(rfm(sales), 3, seed => 7, model => 'rfm_k3')
ORDER BY model;

-- ## The model store: what each model was trained on
SELECT name, k, features, transforms, rows, round(inertia, 2) AS inertia, status
FROM segql_models()
WHERE name IN ('rfm_log5', 'rfm_k3')
ORDER BY name;

-- ## Reuse: score this month's customers with the saved model (no refit)
SELECT segment, label, count(*) AS customers, round(avg(monetary), 2) AS avg_monetary
FROM assign_segment('rfm_log5', rfm((SELECT * FROM sales WHERE "InvoiceDate" >= TIMESTAMP '2011-11-01')))
GROUP BY segment, label
ORDER BY segment;

-- ## Retire the candidate we do not keep
SELECT drop_model('rfm_k3') AS dropped;

SELECT name FROM segql_models() WHERE name IN ('rfm_log5', 'rfm_k3') ORDER BY name;
