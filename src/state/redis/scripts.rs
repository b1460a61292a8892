//! The Lua scripts that change a shared crawl: each touches the keys of one
//! shard (one hash tag), runs atomically on the server, and is safe to run
//! twice (a reply lost to a dropped connection is retried): admissions
//! deduplicate, acknowledgements remove what is there, a lease remembers
//! its last reply by request id, a takeover recognizes its own token.
//!
//! Fencing: a shard's owner key holds `WORKER:EPOCH`, the epoch taken by
//! `INCR` at every takeover. Leasing, acknowledging, renewing and releasing
//! check it, so a worker that lost its lease (paused past it, cut off)
//! cannot take, finish or give back URLs of a shard it no longer owns.
//!
//! They are sent with `EVALSHA` inside pipelines (`Scripts::call`); after a
//! server restart forgets them, `Link` loads them again and retries.

use redis::{Cmd, Pipeline};

/// Offers URLs to a shard (any worker may): new ones are queued in order.
/// KEYS seen, items, pending, info. ARGV (key, hex, entry)... Returns new.
const ADMIT: &str = r"
local n = 0
for i = 1, #ARGV, 3 do
  if redis.call('SADD', KEYS[1], ARGV[i]) == 1 then
    redis.call('HSET', KEYS[2], ARGV[i + 1], ARGV[i + 2])
    redis.call('RPUSH', KEYS[3], ARGV[i + 1])
    n = n + 1
  end
end
if n > 0 then redis.call('HINCRBY', KEYS[4], 'v', 1) end
return n
";

/// Marks a URL seen without queuing it (a redirect target). KEYS seen.
/// ARGV key. Returns 1 if it was new.
const CLAIM: &str = r"
return redis.call('SADD', KEYS[1], ARGV[1])
";

/// Leases up to a limit of a shard's pending URLs to its owner. KEYS owner,
/// pending, leased, items, lastlease, info. ARGV token, request id,
/// deadline, limit, now, lease ms. Returns nil when the token is not the
/// owner's, else (hex, entry)...
const LEASE: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
local last = redis.call('GET', KEYS[5])
if last then
  local d = cjson.decode(last)
  if d[1] == ARGV[2] then return d[2] end
end
local quiet = tonumber(redis.call('HGET', KEYS[6], 'quiet') or '0')
if quiet > tonumber(ARGV[5]) then return {} end
local out = {}
local keys = redis.call('LPOP', KEYS[2], ARGV[4])
if keys then
  for _, k in ipairs(keys) do
    local e = redis.call('HGET', KEYS[4], k)
    if e then
      redis.call('ZADD', KEYS[3], ARGV[3], k)
      out[#out + 1] = k
      out[#out + 1] = e
    end
  end
end
redis.call('SET', KEYS[5], cjson.encode({ARGV[2], out}), 'PX', ARGV[6])
return out
";

/// Marks written records done. KEYS owner, leased, items, info. ARGV token,
/// then (hex, error kind or '')... Returns how many were done, -1 when the
/// token is not the owner's (nothing is written).
const ACK: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local n = 0
for i = 2, #ARGV, 2 do
  if redis.call('ZREM', KEYS[2], ARGV[i]) == 1 then
    redis.call('HDEL', KEYS[3], ARGV[i])
    redis.call('HINCRBY', KEYS[4], 'done', 1)
    if ARGV[i + 1] ~= '' then redis.call('HINCRBY', KEYS[4], 'e:' .. ARGV[i + 1], 1) end
    n = n + 1
  end
end
redis.call('HINCRBY', KEYS[4], 'v', 1)
return n
";

/// Puts leased URLs that the owner will not request back in front of the
/// queue, their attempts unchanged (a shard being handed over). KEYS owner,
/// pending, leased, info. ARGV token, then hex... in queue order. Returns
/// how many went back, -1 when the token is not the owner's.
const UNLEASE: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local n = 0
for i = #ARGV, 2, -1 do
  if redis.call('ZREM', KEYS[3], ARGV[i]) == 1 then
    redis.call('LPUSH', KEYS[2], ARGV[i])
    n = n + 1
  end
end
if n > 0 then redis.call('HINCRBY', KEYS[4], 'v', 1) end
return n
";

/// Takes a shard nobody owns: a new epoch, and what the last owner held
/// goes back to the front of the queue with one more attempt. KEYS owner,
/// epoch, pending, leased, items, lastlease, info. ARGV worker, lease ms.
/// Returns (token, URLs given back), or nil when another worker owns it.
const ACQUIRE: &str = r"
local cur = redis.call('GET', KEYS[1])
if cur then
  if string.sub(cur, 1, #ARGV[1] + 1) == ARGV[1] .. ':' then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return {cur, 0}
  end
  return false
end
local token = ARGV[1] .. ':' .. redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token, 'PX', ARGV[2])
redis.call('DEL', KEYS[6])
local held = redis.call('ZRANGE', KEYS[4], 0, -1)
for i = #held, 1, -1 do
  local k = held[i]
  local e = redis.call('HGET', KEYS[5], k)
  if e then
    local a, rest = string.match(e, '^(%d+)\n(.*)$')
    redis.call('HSET', KEYS[5], k, (tonumber(a) + 1) .. '\n' .. rest)
    redis.call('LPUSH', KEYS[3], k)
  end
end
redis.call('DEL', KEYS[4])
if #held > 0 then redis.call('HINCRBY', KEYS[7], 'v', 1) end
return {token, #held}
";

/// Extends the owner's lease. KEYS owner. ARGV token, lease ms. Returns 1,
/// or 0 when the shard is lost.
const RENEW: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
";

/// Gives a shard up: when nothing of it is leased (else its lease is
/// renewed, for requests are still in flight), or (at exit) with its leased
/// URLs put back in front, uncounted. No other worker leases from it before
/// `quiet` (ms), so a host's rate holds across the handover. KEYS owner,
/// pending, leased, info, lastlease. ARGV token, quiet, force, lease ms.
/// Returns 1 + the URLs put back when released, 0 when not yet, -1 when
/// the token is not the owner's.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
if ARGV[3] == '0' and redis.call('ZCARD', KEYS[3]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  return 0
end
local held = redis.call('ZRANGE', KEYS[3], 0, -1)
for i = #held, 1, -1 do redis.call('LPUSH', KEYS[2], held[i]) end
redis.call('DEL', KEYS[3], KEYS[1], KEYS[5])
redis.call('HSET', KEYS[4], 'quiet', ARGV[2])
redis.call('HINCRBY', KEYS[4], 'v', 1)
return 1 + #held
";

/// Claims up to N pages of the crawl's `--max-pages`, and at most a share
/// of what is left (what is left over twice the live workers, at least
/// 32), so the last pages of the budget are spread over the workers
/// instead of queued behind one. KEYS budget. ARGV n, live workers.
/// Returns what was granted.
const BUDGET: &str = r"
local v = tonumber(redis.call('GET', KEYS[1]) or '0')
local share = math.max(32, math.ceil(v / (2 * tonumber(ARGV[2]))))
local g = math.min(v, tonumber(ARGV[1]), share)
if g > 0 then redis.call('DECRBY', KEYS[1], g) end
return g
";

/// One of the scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    Admit,
    Claim,
    Lease,
    Ack,
    Unlease,
    Acquire,
    Renew,
    Release,
    Budget,
}

const ALL: [Script; 9] = [
    Script::Admit,
    Script::Claim,
    Script::Lease,
    Script::Ack,
    Script::Unlease,
    Script::Acquire,
    Script::Renew,
    Script::Release,
    Script::Budget,
];

impl Script {
    fn source(self) -> &'static str {
        match self {
            Script::Admit => ADMIT,
            Script::Claim => CLAIM,
            Script::Lease => LEASE,
            Script::Ack => ACK,
            Script::Unlease => UNLEASE,
            Script::Acquire => ACQUIRE,
            Script::Renew => RENEW,
            Script::Release => RELEASE,
            Script::Budget => BUDGET,
        }
    }

    /// The SHA-1 `EVALSHA` names it by.
    fn sha(self) -> String {
        redis::Script::new(self.source()).get_hash().to_string()
    }
}

/// The scripts' hashes, computed once.
#[derive(Debug, Clone)]
pub struct Scripts {
    shas: Vec<String>,
}

impl Default for Scripts {
    fn default() -> Self {
        Scripts {
            shas: ALL.iter().map(|s| s.sha()).collect(),
        }
    }
}

impl Scripts {
    /// A pipeline that loads every script (after a restart forgot them).
    pub fn load() -> Pipeline {
        let mut p = redis::pipe();
        for s in ALL {
            p.cmd("SCRIPT").arg("LOAD").arg(s.source()).ignore();
        }
        p
    }

    /// An `EVALSHA` of `script` with `keys`; the caller adds the arguments.
    pub fn call(&self, script: Script, keys: &[String]) -> Cmd {
        let i = ALL.iter().position(|s| *s == script).unwrap_or(0);
        let mut c = redis::cmd("EVALSHA");
        c.arg(&self.shas[i]).arg(keys.len()).arg(keys);
        c
    }
}
