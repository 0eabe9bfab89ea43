"""ESC/POS printing, free of Flask: slips as data, raster layout, backends by URL, print worker."""
