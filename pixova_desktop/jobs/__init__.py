"""The job queue, its SQLite store and the worker that runs jobs on a thread pool."""
