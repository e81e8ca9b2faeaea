"""Booths and OCOP products: exhibitors, products, floor plans, booth booking, the public
directory, and leads."""
