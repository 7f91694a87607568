"""What people type into query strings and forms, parsed once for the pages and the API alike."""
