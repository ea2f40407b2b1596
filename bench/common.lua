-- Shared by the bench scripts: the API key and the ticket numbers come from the
-- environment and a file that bench/run.py writes.
local common = {}

common.key = os.getenv("BENCH_KEY")

function common.read_numbers()
  local numbers = {}
  for line in io.lines(os.getenv("BENCH_NUMBERS_FILE")) do
    numbers[#numbers + 1] = line
  end
  return numbers
end

local thread_counter = 0
function common.number_threads(thread)
  thread_counter = thread_counter + 1
  thread:set("thread_id", thread_counter)
end

-- init() for scripts that pick random known tickets: loads the numbers, seeds per thread.
function common.numbers_init(seed_factor)
  return function()
    common.numbers = common.read_numbers()
    math.randomseed(thread_id * seed_factor)
  end
end

function common.random_number()
  return common.numbers[math.random(#common.numbers)]
end

return common
