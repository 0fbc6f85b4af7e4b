SELECT * FROM kmeans_fit(pts, 3, features => 'x, y', transform => 'x: log, y: boxcox', scale => 'robust', init => 'random', n_init => 5, max_iter => 50, tol => 0.0001, seed => 1, nulls => 'skip')
