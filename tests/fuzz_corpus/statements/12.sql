SELECT * FROM hclust_fit(pts, 3, features => 'x, y', linkage => 'ward', scale => 'minmax', model => 'h')
