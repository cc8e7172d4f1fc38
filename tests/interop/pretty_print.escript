#!/usr/bin/env escript
%%! -noshell
%% Prints Erlang terms the ways hexpub's pretty printer must reproduce.
%%
%% usage: pretty_print.escript terms IN OUT
%%   IN holds terms in Erlang's external format, each framed as a 32-bit
%%   big-endian length and the bytes of term_to_binary/1. For each term, OUT
%%   gets three UTF-8 texts, framed the same way: io_lib:format("~p"),
%%   io_lib:format("~tp") and io_lib_pretty:print(T, [{encoding, utf8}])
%%   (what hex_core writes into metadata.config).
%%
%% usage: pretty_print.escript app_src IN OUT
%%   IN holds lines "PATH<TAB>VERSION". For each, OUT gets (framed) the bytes
%%   rebar3_hex 7.2.0 packs as the .app.src: file:consult/1, the first vsn
%%   replaced with lists:keyreplace/4, io_lib:format("~tp.~n"), UTF-8.
main(["terms", In, Out]) ->
    {ok, Bin} = file:read_file(In),
    Texts = [[frame(io_lib:format("~p", [T])),
              frame(io_lib:format("~tp", [T])),
              frame(io_lib_pretty:print(T, [{encoding, utf8}]))]
             || T <- terms(Bin)],
    ok = file:write_file(Out, Texts);
main(["app_src", In, Out]) ->
    {ok, Bin} = file:read_file(In),
    Lines = [L || L <- binary:split(Bin, <<"\n">>, [global]), L =/= <<>>],
    Texts = [begin
                 [Path, Version] = binary:split(L, <<"\t">>),
                 {ok, [{application, Name, Details}]} = file:consult(Path),
                 New = lists:keyreplace(vsn, 1, Details, {vsn, binary_to_list(Version)}),
                 frame(io_lib:format("~tp.\n", [{application, Name, New}]))
             end || L <- Lines],
    ok = file:write_file(Out, Texts).

terms(<<>>) -> [];
terms(<<N:32, B:N/binary, Rest/binary>>) -> [binary_to_term(B) | terms(Rest)].

frame(Chars) ->
    B = unicode:characters_to_binary(Chars),
    [<<(byte_size(B)):32>>, B].
