SELECT * FROM dbscan_eps(pts, 2, features => 'x, y')
