"""Cultural trade statistics: metrics from bilateral flows and an audit of reported figures."""
