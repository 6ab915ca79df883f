"""Fake credentials the test servers accept; recognisable, so output can be grepped for them."""

TEST_KEY = "sk-test-KEY-0123456789abcdef"
