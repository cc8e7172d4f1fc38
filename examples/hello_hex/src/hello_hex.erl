-module(hello_hex).
-export([greet/1, greet_json/1]).

-include("hello_hex.hrl").

%% @doc Greets someone by name.
-spec greet(binary()) -> binary().
greet(Name) when is_binary(Name) ->
    <<?GREETING/binary, ", ", Name/binary, "!">>.

%% @doc The greeting as a JSON object.
-spec greet_json(binary()) -> binary().
greet_json(Name) ->
    tiny_json:encode(#{<<"greeting">> => greet(Name)}).
