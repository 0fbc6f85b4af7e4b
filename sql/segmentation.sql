-- The whole segmentation of a `sales` transactions table, the way the analyst notebooks do it:
-- RFM table -> K-Means segments -> segment profile -> scoring customers with the saved model.
-- `segql --demo` runs this on generated online-retail data; lines starting with `-- ##` are
-- printed as headings.

-- ## 1. RFM: customers by R/F map segment
SELECT
    segment,
    count(*)                                                     AS customers,
    round(100.0 * count(*) / sum(count(*)) OVER (), 1)           AS pct_customers,
    round(avg(recency_days), 1)                                  AS avg_recency_days,
    round(avg(frequency), 1)                                     AS avg_orders,
    round(avg(monetary), 2)                                      AS avg_monetary,
    round(100.0 * sum(monetary) / sum(sum(monetary)) OVER (), 1) AS pct_revenue
FROM rfm(sales)
GROUP BY segment
ORDER BY avg_monetary DESC;

-- ## 2. K-Means on recency, frequency and monetary (k = 4), saved as model 'customer_segments'
SELECT
    segment,
    label,
    size                      AS customers,
    round(100.0 * share, 1)   AS pct_customers,
    round(recency_days, 1)    AS centroid_recency_days,
    round(frequency, 2)       AS centroid_orders,
    round(monetary, 2)        AS centroid_monetary,
    round(sse, 1)             AS sse
FROM kmeans_fit(rfm(sales), 4, seed => 42, model => 'customer_segments')
ORDER BY segment;

-- ## 3. Segment profile: the members of each segment, scored with the saved model
SELECT
    segment,
    label,
    count(*)                                                     AS customers,
    round(avg(recency_days), 1)                                  AS avg_recency_days,
    round(avg(frequency), 1)                                     AS avg_orders,
    round(avg(monetary), 2)                                      AS avg_monetary,
    round(100.0 * sum(monetary) / sum(sum(monetary)) OVER (), 1) AS pct_revenue,
    round(avg(distance), 3)                                      AS avg_distance
FROM assign_segment('customer_segments', rfm(sales))
GROUP BY segment, label
ORDER BY segment;

-- ## 4. Scoring in any query: customers per segment with the scalar assign_segment
SELECT
    assign_segment('customer_segments', recency_days, frequency, monetary) AS segment,
    count(*)                                                               AS customers,
    count(*) FILTER (WHERE last_purchase >= (SELECT max(last_purchase) FROM rfm(sales)) - INTERVAL '30 days')
                                                                           AS bought_last_30_days
FROM rfm(sales)
GROUP BY 1
ORDER BY 1;
