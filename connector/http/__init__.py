"""The neutral HTTP layer every tracker adapter uses: one place that retries."""
