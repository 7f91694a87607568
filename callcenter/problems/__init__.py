"""Many tickets about one problem: similar tickets, problem and incident tickets."""
