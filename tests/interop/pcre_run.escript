#!/usr/bin/env escript
%%! -noshell
%% Runs regular expressions as rebar3_hex runs exclude_patterns
%% (rebar3_hex 7.2.0 src/rebar3_hex_build.erl: re:run(Path, Pattern), no options).
%%
%% usage: pcre_run.escript IN OUT
%%   IN holds lines "P HEX" (a pattern) each followed by lines "S HEX" (paths),
%%   HEX being the code points (all below 256) as hex bytes. For each pattern,
%%   OUT gets one line: "error" when re:run refuses it, else one character per
%%   path, "1" for a match and "0" for none.
main([In, Out]) ->
    {ok, Bin} = file:read_file(In),
    Lines = [L || L <- binary:split(Bin, <<"\n">>, [global]), L =/= <<>>],
    ok = file:write_file(Out, [[R, $\n] || R <- run(Lines, undefined, [], [])]).

run([], undefined, [], Acc) -> lists:reverse(Acc);
run([], P, Ss, Acc) -> lists:reverse([result(P, lists:reverse(Ss)) | Acc]);
run([<<"P ", H/binary>> | T], undefined, [], Acc) -> run(T, decode(H), [], Acc);
run([<<"P ", H/binary>> | T], P, Ss, Acc) ->
    run(T, decode(H), [], [result(P, lists:reverse(Ss)) | Acc]);
run([<<"S ", H/binary>> | T], P, Ss, Acc) -> run(T, P, [decode(H) | Ss], Acc).

decode(<<"-">>) -> [];
decode(H) -> binary_to_list(binary:decode_hex(H)).

result(Pattern, Paths) ->
    try [case re:run(Path, Pattern) of nomatch -> $0; {match, _} -> $1 end || Path <- Paths]
    catch error:badarg -> "error"
    end.
