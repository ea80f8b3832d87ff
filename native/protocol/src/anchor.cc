int kop_protocol_anchor = 0;
