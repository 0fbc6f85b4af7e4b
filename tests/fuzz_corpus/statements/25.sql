SELECT segql_elbow(k, v) FROM (VALUES (1, 100.0), (2, 30.0), (3, 20.0), (4, 15.0)) AS c(k, v)
