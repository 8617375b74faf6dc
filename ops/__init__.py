"""The run machinery and the operators' command line (`duban …`): not a service itself."""
