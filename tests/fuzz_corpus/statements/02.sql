SELECT * FROM kmeans_fit(pts, 'auto', ks => '2..4', features => 'x, y', transform => 'none, x: yeojohnson', shift => false, standardize => true)
