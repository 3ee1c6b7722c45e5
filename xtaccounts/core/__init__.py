"""The fund's vocabulary and pure arithmetic: money, kinds, dates, the chart, privacy, interest,
shares and balance-days. Nothing here reads or writes the books."""
