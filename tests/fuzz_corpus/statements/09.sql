SELECT * FROM feature_skewness(pts, 'x, y')
