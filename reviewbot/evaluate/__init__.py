"""`reviewbot-eval`: score the review pipeline against labelled pull requests.

A face, like the CLI: it reads a dataset, gets each case's diff, runs the same stages the
`reviewbot` command runs, and scores the findings against the labels. Nothing in the core
imports it.
"""
