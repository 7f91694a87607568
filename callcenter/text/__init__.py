"""Text as people type it, Chinese and English alike: normalised, cut into words, stop words set aside."""
