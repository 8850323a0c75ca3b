"""Streamlit helpers shared by dashboard.py and the pages (the only place besides them that imports streamlit)."""
