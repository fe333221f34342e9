import streamlit as st

from stats import describe, parse

st.title("Quick stats")
text = st.text_area("Numbers", "1, 2, 3, 5, 8")
try:
    st.table(describe(parse(text)))
except ValueError as exc:
    st.error(str(exc))
