"""The benchmark suite's scenarios, one module each."""
