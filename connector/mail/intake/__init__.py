"""Mail intake: the helpdesk mailbox read, classified, threaded and turned into tickets."""
