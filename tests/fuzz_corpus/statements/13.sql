SELECT * FROM hclust_tree(pts, features => 'x, y', linkage => 'single')
