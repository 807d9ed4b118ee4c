#!/bin/sh
# How redis-7.0-all-types.rdb was made (Redis 7.0.15), for rdb-check.test.ts:
#   redis-server --port 6392 --save '' --dir "$PWD" --daemonize yes
#   PORT=6392 sh redis-7.0-all-types.sh && redis-cli -p 6392 save
#   mv dump.rdb redis-7.0-all-types.rdb
# Every value type and encoding Redis 7.0 writes: int/LZF/raw strings, TTLs,
# listpack and quicklist lists, intset and hashtable sets, listpack and
# skiplist zsets, listpack and hashtable hashes, streams with consumer groups
# and pending entries, an empty stream, three databases, a function library.
# redis-check-rdb reads 22 keys and 4 expires from it.
PORT=${PORT:-6392}
c() { redis-cli -p "$PORT" "$@" >/dev/null; }
c set str:small hello
c set str:int 12345
c set str:int8 7
c set str:int32 2000000000
c set str:long "$(printf 'x%.0s' $(seq 1 300))"
c set str:bin "$(head -c 100 /dev/urandom | base64)"
c set str:ttl expiring EX 86400
c set str:pttl expiring PX 90000000
c rpush list:small a b c 1 2 3
for i in $(seq 1 40); do c rpush list:big "item-$i-$(printf 'y%.0s' $(seq 1 200))"; done
c sadd set:ints 1 2 3 4 5
c sadd set:strs a b c
for i in $(seq 1 20); do c sadd set:big $(seq -f "m-$i-%g" 1 10); done
c zadd zset:small 1 a 2 b 3.5 c
for i in $(seq 1 20); do c zadd zset:big $(for j in $(seq 1 10); do echo "$i.$j z$i-$j"; done); done
c hset hash:small f1 v1 f2 v2
for i in $(seq 1 20); do c hset hash:big $(for j in $(seq 1 10); do echo "f$i-$j v$i-$j"; done); done
c expire hash:big 86400
c xadd stream:s '*' a 1 b 2
c xadd stream:s '*' a 3
c xadd stream:s '*' a 4
c xgroup create stream:s g1 0
c xgroup create stream:s g2 '$'
c xreadgroup GROUP g1 alice COUNT 2 STREAMS stream:s '>'
c xreadgroup GROUP g1 bob COUNT 1 STREAMS stream:s '>'
c xadd stream:empty '*' x 1
c xdel stream:empty $(redis-cli -p "$PORT" xrange stream:empty - + | head -1)
redis-cli -p "$PORT" -n 3 set other:db 1 >/dev/null
redis-cli -p "$PORT" -n 3 set other:ttl 1 EX 86400 >/dev/null
redis-cli -p "$PORT" -n 15 hset h15 a 1 >/dev/null
redis-cli -p "$PORT" function load "#!lua name=mylib
redis.register_function('myfunc', function(keys, args) return 1 end)" >/dev/null
