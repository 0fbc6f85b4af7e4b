SELECT * FROM kmeans_evaluate('m', pts, view => 'segments', silhouette_sample => 50, seed => 3)
