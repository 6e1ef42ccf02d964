"""Generated audit event content for the property tests of both chain walks."""

from __future__ import annotations

from hypothesis import strategies as st

# Quotes, backslashes, control characters, the JSON-unsafe line separators, non-BMP text (not NUL:
# PostgreSQL text cannot hold it).
text = st.text(
    alphabet=st.one_of(
        st.sampled_from('"\\/\x01\x08\x09\x0a\x0c\x0d\x1f\x7f\u2028\u2029é🙂 ,:[]{}'),
        st.characters(codec="utf-8", blacklist_characters="\x00"),
    ),
    max_size=12,
)
# Integers well beyond 64 bits: the canonical form writes any size.
_scalar = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10**40), max_value=10**40), text)
json_values = st.recursive(
    _scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(text, inner, max_size=3)),
    max_leaves=8,
)
