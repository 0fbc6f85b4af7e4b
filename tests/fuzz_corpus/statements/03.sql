SELECT * FROM kmeans_search(pts, ks => '2, 3, 5', features => 'x, y', min_share => 0.05, stability => true, silhouette_sample => 100)
