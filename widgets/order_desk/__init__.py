"""The Order Desk (订单处理): queues, filters, paged grid, order detail, batch actions, import."""
