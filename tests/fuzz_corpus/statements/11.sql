SELECT * FROM pca_project('p', pts)
