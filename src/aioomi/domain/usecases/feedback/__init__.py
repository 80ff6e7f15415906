"""The owner's improvement loop, first part: visitors rate answers, owners read the votes."""
