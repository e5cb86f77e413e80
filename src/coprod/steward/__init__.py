"""What a data steward uses around a delivery: drafting a codebook for it (sniffing its
dialect, matching its columns to the previous wave's), and setting the version of a release."""
