-module(tiny_json).
-export([encode/1]).

%% @doc Encodes maps, lists, binaries, integers, floats, true, false and null as JSON.
-spec encode(term()) -> binary().
encode(Term) -> iolist_to_binary(value(Term)).

value(true) -> <<"true">>;
value(false) -> <<"false">>;
value(null) -> <<"null">>;
value(N) when is_integer(N) -> integer_to_binary(N);
value(F) when is_float(F) -> float_to_binary(F, [short]);
value(B) when is_binary(B) -> [$", escape(B), $"];
value(A) when is_atom(A) -> value(atom_to_binary(A, utf8));
value(L) when is_list(L) -> [$[, join([value(V) || V <- L]), $]];
value(M) when is_map(M) ->
    Pairs = [[value(key(K)), $:, value(V)] || {K, V} <- lists:sort(maps:to_list(M))],
    [${, join(Pairs), $}].

key(K) when is_atom(K) -> atom_to_binary(K, utf8);
key(K) when is_binary(K) -> K.

join([]) -> [];
join([H | T]) -> [H | [[$,, X] || X <- T]].

escape(B) -> [esc(C) || <<C/utf8>> <= B].

esc($") -> <<"\\\"">>;
esc($\\) -> <<"\\\\">>;
esc($\n) -> <<"\\n">>;
esc($\r) -> <<"\\r">>;
esc($\t) -> <<"\\t">>;
esc(C) when C < 16#20 -> io_lib:format("\\u~4.16.0b", [C]);
esc(C) -> <<C/utf8>>.
