// csredis-sentinel: `csredis-sentinel sentinel.conf` is `csredis-server sentinel.conf --sentinel`.
return ServerMain.Run([.. args, "--sentinel"]);
