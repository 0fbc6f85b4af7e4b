SELECT * FROM dbscan(pts, 0.8, 2, features => 'x, y', scale => 'none', model => 'd')
