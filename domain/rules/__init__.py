"""Named refusal checks and flag rules, each a small pure function over aggregate values."""
