SELECT * FROM pca(pts, components => 2, features => 'x, y', transform => 'cbrt', scale => 'standard', model => 'p')
